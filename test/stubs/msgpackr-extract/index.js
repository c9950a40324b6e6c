// See package.json: exporting null makes msgpackr use its pure-JS string decoding.
module.exports = null;
