"""The infusion order, the syringe prepared for it and its second-person verification."""
