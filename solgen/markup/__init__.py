"""The markup layer: TeX (formatting numbers, matrices, surds, plot coordinates) and the
conversion of a statement's restricted TeX to HTML.

May import: solgen.base; never problems, document, course, grading, lms or cli.
"""
