"""The shared kernel: what every app uses and nothing of the product's own domains.

Exact money, who acted (actors), domain errors and their HTTP mapping, the
per-change journal and after-commit work, and the REST plumbing every API shares
(problem+json, strict serializer fields, schema pieces), and the request plumbing of
operations (request ids and log lines, the input guard, cache calls that degrade). It
imports Django, DRF, a few libraries (prometheus-client for its one counter) and the
standard library: never an app of the product.
"""
