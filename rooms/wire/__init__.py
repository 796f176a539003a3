"""What the server sends: wire types (``types``) and the serializers that fill them."""
