"""The base layer: what every stage knows about the web, and nothing about any stage.

URLs and SURT keys (``urls``), content codings and charsets (``decoding``), the one
inflate path of every reader (``inflate``), the HTTP
exchange as recorded (``exchange``), and media types with the one rule for what a page
is (``media``). ``capture``, ``store`` and ``normalise`` import from here; nothing here
imports from them.
"""
