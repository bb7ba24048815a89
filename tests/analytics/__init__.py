"""Tests of the analytics plugin."""
