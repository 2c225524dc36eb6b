"""Independent test exports: a second, differently built source of messy CRM exports with truth.

``crm-pipeline generate --style independent`` writes the exports of an invented Florida mover that
the project's own generator (``crm_pipeline.generate``) knows nothing about: its own branches and
status words, its own header spellings and column orders, extra and empty columns, Faker name pools
of several locales, its own nickname list and typo model, households, Jr./Sr. pairs, same-name
strangers, shared office phones and job duplicates that disagree. It shares no code with the tuned
generator's world, pools or phenomena, so quality measured on it is not quality on our own
assumptions. Output: ``OUT/raw/*.csv``, ``OUT/truth/customers.csv`` and ``jobs.csv`` (what
``crm-pipeline evaluate`` reads) and ``OUT/config/branches.yaml`` (the company's branch list).
"""

from crm_pipeline.generate.independent.build import build_independent

__all__ = ["build_independent"]
