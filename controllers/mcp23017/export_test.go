package mcp23017

// I2CError exposes i2cError to the package's tests.
var I2CError = i2cError
