"""Serializer fields shared by every app."""

from rest_framework import serializers


def username_field() -> serializers.SlugRelatedField:
    """A user shown by user name; null when the account was deleted (SET_NULL)."""
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
