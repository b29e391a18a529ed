"""The `send batch` engine, free of typer and rich.

- reader.py: stream CSV / JSONL rows (or load the API's batch JSON) as Records
  carrying their line number;
- build.py: turn a row into one `requests[]` item, validated client side;
- plan.py: skip what the journal says is done, cut the rest into chunks;
- journal.py: the append-only, fsynced record of every chunk's outcome;
- limiter.py: the shared client-side rate limit that slows down on 429;
- runner.py: workers that send chunks and journal what happened.
"""
