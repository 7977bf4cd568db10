"""The issuance batch: plan → approve → execute (workers) → hand over (docs/adr/0012).

- `planning`: assess everyone, list who is due which document and why (items with frozen
  snapshots), cut the work into chunks (one print file each), approve.
- `claiming`: workers claim chunks with a conditional UPDATE and a lease.
- `rendering`: a claimed chunk issues its documents (one commit per person) and writes its print
  file; the chunk is marked done only once the file exists.
- `tasks`: the chunk as a background task (Django's tasks API), and enqueueing a run.
- `handover`: mailing list, manifest with checksums, and the run marked handed over.
"""
