"""The counter's card reader: My Number card identity checks over PC/SC (issue 5, ADR 0008).

- `apdu`, `card`: the card's commands, status words and files; `errors`: typed errors.
- `pcsc`: pyscard's PC/SC binding with bounded waits; `service`: the reader service's flows.
- `trust`: the trust store; `matching`: basic four against the insured records.
- `pinpad`, `face`, `secret`: where a PIN comes from, the face device's interface, PIN handling.
- `virtual_card`, `testca`, `testbed`: a virtual My Number card on vsmartcard's vpcd, its test CA,
  and pcscd for tests, the bench and training.
"""
