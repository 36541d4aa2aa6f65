"""extractor: news articles about missile and drone strikes in, validated events out."""
