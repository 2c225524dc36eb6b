"""Sample-data generator: realistic, messy CRM exports with their ground truth.

``generate(people, out, seed)`` writes the five input profiles (six files) into ``out/raw/`` and the
truth into ``out/truth/``: ``customers.csv`` (file, record_id, entity_id), ``jobs.csv`` (file,
record_id, job_entity), ``phenomena.csv`` (which row carries which mess or trap) and
``expected_quarantine.csv`` (rows made unreadable on purpose). The mix is set by ``Knobs``.
"""

from crm_pipeline.generate.knobs import Knobs
from crm_pipeline.generate.main import GenerateResult, generate

__all__ = ["GenerateResult", "Knobs", "generate"]
