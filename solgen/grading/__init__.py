"""The grading layer: a grading policy and `solgen grade` against a batch's answer key.

May import: solgen.base, solgen.markup, solgen.problems, solgen.document, solgen.course;
never lms or cli.
"""
