"""The document layer: one variant's build, variant -> results -> context -> .tex -> PDF
(variant, solution, checks, results, context, data files, render, preamble, compile, build).

May import: solgen.base, solgen.markup, solgen.problems; never course, grading, lms or cli.
"""
