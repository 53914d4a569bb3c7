"""The course's own tools, which no lesson imports: grading a class (:mod:`.grade`)."""
