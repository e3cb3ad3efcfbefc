"""From ranked passages to what the user reads.

- verdict: `ask`: quotes that answer, related passages that do not, or nothing
- conversation: follow-up questions that inherit a place or subject
- present: quotes shown safely, inside their paragraph
- export: a conversation as Markdown, CSV or JSON
"""
