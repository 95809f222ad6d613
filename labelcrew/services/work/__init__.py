"""The annotator's work: next, submit, the candidate queue, the hot path's rows and writes."""
