"""Demo data for `manage.py seed_demo`: showcase households and a generated Sumida population.

Layout (data flows one way, as in the rest of the system):

- `plan`       plain in-memory households and persons, no Django models;
- `history`    fills a plan's documents (資格確認書, お知らせ) by asking the rules what was due on
               each relevant day, and its 負担割合 determinations via `rules.income`;
- `showcase`   fixed households (fixed insured numbers and names) with documented outcomes;
- `population` the generated households (deterministic for a seed and an as-of date);
- `store`      writes plans with bulk_create in chunks, compares and deletes demo households;
- `residents`  the portal's demo residents: the fake デジタル認証アプリ's identity, a letter.

Every demo household has one of the reserved 記号 below, so demo data can be told apart from
anything else in the database and removed without touching it.
"""

from __future__ import annotations

# 記号 reserved for demo data. Real Sumida 記号 are different; a demo database may hold both.
SHOWCASE_SYMBOL = "9101"  # showcase households whose dates follow the seeding as-of date
EXAMPLE_SYMBOL = "9102"  # the shared worked examples' people, with their fixed dates
POPULATION_SYMBOL = "9200"  # the generated population
IMPORT_SAMPLE_SYMBOL = "9300"  # the households of the import samples in docs/samples/
DEMO_SYMBOLS = (SHOWCASE_SYMBOL, EXAMPLE_SYMBOL, POPULATION_SYMBOL, IMPORT_SAMPLE_SYMBOL)
