"""Files to documents, documents to sentences and chunks.

In the order of the data flow:
- load: finds files and dispatches by type (text, PDF, HTML, Word); ids, places
- clean: raw bytes to the stored text a reader sees
- article, pdf, html, docx: each file type's structure (title, date, blocks, page map)
- manifest: report metadata from the Ofsted manifest CSV
- gazetteer: English local authorities and the names people use for them
- segment: sentences with exact character offsets
- chunk: sentences grouped into the chunks that are ranked
"""
