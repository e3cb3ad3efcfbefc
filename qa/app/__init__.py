"""What the Streamlit front end (app.py) stands on.

- service: one shared index and model per process; chats; refresh after a build
- uploads: adding uploaded files safely
- access: who may use the app (password, e-mail domains, throttling by address)
"""
