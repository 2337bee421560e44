"""Shared code for the RNN-HAR tutorial notebooks.

Data flows one way: official or rebuilt UCI HAR files -> `har_rnn.data`
(validated, cached arrays) -> notebook 02 (standardize, train, evaluate) ->
one artifacts folder -> notebooks 03 and 04, which only read.
"""
