"""Calibration sessions: hard items labelled blind, compared, decided."""
