"""The base layer: errors, messages, files, streams, exact and certified numbers, the cache,
TOML input, validated fields and answer ids: what every layer may use.

May import: the standard library, NumPy, SymPy, FLINT and other modules of solgen.base; never
a module of a layer above.
"""
