"""The course layer: a class's variants (generate, roster, course key, batch, shards and
merge, the manifest) and its class files (answers, key.pdf, handout/, solutions/, the class
report).

May import: solgen.base, solgen.markup, solgen.problems, solgen.document; never grading, lms
or cli.
"""
