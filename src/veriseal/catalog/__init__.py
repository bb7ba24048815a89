"""The catalog domain: brands, products and categories, keys, batches, minting and
batch manifests."""
