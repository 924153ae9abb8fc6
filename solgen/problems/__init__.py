"""solgen's own problems, one package each (network, descent, convnet), found through the
registry (solgen.problems.registry) like any installed problem.

A problem package may import solgen's base modules (problem, fields, checking, latex,
plotting, surd, certified, stream, answerids, messages, errors, cache, exprdata, and for its
LMS hooks lmshtml) and its own modules; never a stage (build, context, generate, batch, grade,
the exports) and never another problem.
"""
