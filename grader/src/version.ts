// Kept equal to grader/package.json's version (a test checks it). Every grade and every manifest
// validation carries it, so a changed scoring rule is visible in the data it produced.
export const GRADER_VERSION = '0.1.0';
