"""Operations: metrics and usage statistics (no personal data)."""
