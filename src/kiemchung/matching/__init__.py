"""Claim matching: lexical and dense candidate retrieval, and the "same claim" decision."""
