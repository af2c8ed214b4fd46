// Selects the PostgreSQL server for the API suite (jest project api-postgres).
process.env.HUB_TEST_ENGINE = 'postgres';
