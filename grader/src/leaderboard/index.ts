export { EPISODE_RECORD_SCHEMA, RUN_META_SCHEMA, OUTCOMES, validateEpisodeRecord, type EpisodeRecord, type EpisodeOutcome, type RewardBreakdown, type TaskBugInfo } from './record.ts';
export { readRun, type LoadedRun, type RunMeta } from './read.ts';
export { buildLeaderboard, LEADERBOARD_SCHEMA, type Leaderboard, type AgentRow } from './build.ts';
export { mulberry32, seedOf, bootstrapMean } from './stats.ts';
export { renderMarkdown } from './markdown.ts';
export { renderHtml } from './html.ts';
export { sweBenchReports } from './swebench.ts';
