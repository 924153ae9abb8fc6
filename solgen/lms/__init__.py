"""The LMS layer: a batch's questions as a Moodle XML bank and a QTI package for Canvas.

May import: solgen.base, solgen.markup, solgen.problems, solgen.document, solgen.course;
never grading or cli.
"""
