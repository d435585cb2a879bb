/** track_group NAME { group { VI_1 VI_2 } } (keepalived.conf(5) "Static track groups"). */
import { lines, table } from './types';

export const trackGroupTable = table('track_group', {
  group: lines({ repeat: true, use: 'track/static-track.ts', field: 'members' }),
});
