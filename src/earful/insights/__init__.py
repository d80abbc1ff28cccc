"""Insights: trends, spikes, emerging topics, alerts and reports over the stored posts."""
