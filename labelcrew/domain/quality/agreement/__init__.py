"""Inter-annotator agreement: percent, Cohen, Fleiss, Krippendorff, spans, rankings, sets."""
