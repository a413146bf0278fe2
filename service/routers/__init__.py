"""One router per area of the API; `service.main` mounts them."""
