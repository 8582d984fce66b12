"""The clinic's bookable resources and the booking of visits with the scheduling engine."""
