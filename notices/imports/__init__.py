"""Imports of the files the ward's core systems deliver (ADR 0009, README "Data files").

- `reading`   bytes to records: encoding, CSV lines with editor line numbers, the header;
- `cells`     one value: 和暦/ISO dates, digits, amounts, codes, kana, insured numbers;
- `errors`    what can be wrong, as codes worded in the reader's language;
- `master`, `myna`, `income`  the three kinds of file: rows, checks against the records, writes;
- `engine`    the run: check, then write in one transaction; the ImportRun and its audit event;
- `bulk`      COPY / executemany writes without model instances;
- `storage`, `background`  files under var/imports/ and runs started from the web pages.

Entry points: `engine.import_file(kind, path, …)` (the command) and `engine.start_run` with
`engine.execute` (the data pages).
"""
