"""The shared kernel: what every app uses and nothing of the product's own domains.

Exact money, who acted (actors), domain errors and their HTTP mapping, the
per-change journal and after-commit work, and the REST plumbing every API shares
(problem+json, strict serializer fields, schema pieces). It imports Django, DRF and
the standard library only: never an app of the product.
"""
