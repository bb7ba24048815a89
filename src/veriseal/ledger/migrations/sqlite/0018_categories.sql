-- The catalogue's category tree, product specifications, units and images, and the
-- product search index. Dialect: sqlite.
-- products.category (the '/'-joined path of 0001) stays as a DERIVED copy of the
-- product's place in the tree: the catalogue store rewrites it in the transaction that
-- renames or moves a category, so readers of Product.category (territory grants
-- "category:<path>") always see the tree's current names.
-- Existing paths are moved onto the tree by the data step of this migration
-- (veriseal.ledger.data_steps, run in the same transaction, after these statements):
-- one node per distinct path prefix, each product pointing at its leaf.

-- A node of one brand's tree; parent_id NULL at the top level. position orders
-- siblings (0, 1, ...); names are unique among siblings.
CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER NOT NULL REFERENCES brands(id),
    parent_id   INTEGER REFERENCES categories(id),
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX categories_sibling_name ON categories(brand_id, COALESCE(parent_id, 0), name);
CREATE INDEX categories_parent ON categories(parent_id);

ALTER TABLE products ADD COLUMN category_id INTEGER REFERENCES categories(id);
CREATE INDEX products_category ON products(category_id);

-- Specifications: ordered name/value pairs (净含量 = 250 g).
CREATE TABLE product_specs (
    gtin      TEXT NOT NULL REFERENCES products(gtin),
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (gtin, position)
);

-- Units a product is counted and sold in: item (quantity 1), case of N items, pallet
-- of N items; a unit may carry its own GTIN (the case's ITF-14), unique in the ledger.
CREATE TABLE product_units (
    gtin       TEXT NOT NULL REFERENCES products(gtin),
    kind       TEXT NOT NULL CHECK (kind IN ('item', 'case', 'pallet')),
    quantity   INTEGER NOT NULL CHECK (quantity >= 1),
    unit_gtin  TEXT UNIQUE,
    PRIMARY KEY (gtin, kind)
);

-- Product images, re-encoded by Pillow before they are stored (public catalogue data).
CREATE TABLE product_images (
    id          INTEGER PRIMARY KEY,
    gtin        TEXT NOT NULL REFERENCES products(gtin),
    position    INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    data        BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (gtin, sha256)
);
CREATE INDEX product_images_gtin ON product_images(gtin, position);

-- One search row per product; its tokens (name, spec, manufacturer, GTIN, category
-- names, specifications; CJK text as bigrams plus single characters) are written by
-- the catalogue store, replaced whenever what they are made of changes.
CREATE TABLE product_search (
    id        INTEGER PRIMARY KEY,
    gtin      TEXT NOT NULL UNIQUE REFERENCES products(gtin),
    brand_id  INTEGER NOT NULL
);
-- not contentless: a product's tokens are replaced (deleted by rowid) when it changes
CREATE VIRTUAL TABLE product_search_fts USING fts5(
    tokens, tokenize='unicode61 remove_diacritics 0'
);
