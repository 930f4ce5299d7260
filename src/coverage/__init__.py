"""palliative-coverage: where France's palliative and supportive care is within reach, and where it is not."""

__version__ = "0.1.0"
