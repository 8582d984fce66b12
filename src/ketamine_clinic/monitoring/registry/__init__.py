"""The device registry: which monitor and pump is in which room, and the data that no
visit claimed (the clinic's IT person's pages under /devices/)."""
