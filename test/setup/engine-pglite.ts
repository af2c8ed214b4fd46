// Selects the embedded engine for the API suite (jest project api-pglite).
process.env.HUB_TEST_ENGINE = 'pglite';
