"""Questionnaire responses, their scores and the suicide-risk flags they raise."""
