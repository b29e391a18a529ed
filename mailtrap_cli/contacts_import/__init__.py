"""Contacts import and sync, with no UI: typed field values, a streaming reader
that maps CSV/JSONL columns to contacts and checks every row, a journal, and
the engine that sends chunks of at most 50,000 contacts and follows them.

    values.py   text -> the API's value for a field's data type
    rows.py     CSV/JSONL -> contacts; column mapping; per-row validation
    journal.py  what earlier runs submitted, so a rerun imports nothing twice
    engine.py   validate, chunk, submit, poll to the end
"""
