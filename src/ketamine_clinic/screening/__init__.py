"""Screening for contraindications: rules as data, eligibility, the prescriber's decision."""
