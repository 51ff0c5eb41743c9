// Plain-words explanation of the stable reason codes an agent reports: the one table in @omamori/policy.
export { reasonText } from '@omamori/policy/reason-text';
