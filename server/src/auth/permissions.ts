import type { Role } from '@park/protocol';

/**
 * What each role may do. Roles are not a ladder: a commander acknowledges
 * alarms but does not shelve them or change configuration.
 */
export type Permission = 'view' | 'ack' | 'shelve' | 'configure' | 'admin';

const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['view'],
  operator: ['view', 'ack', 'shelve'],
  commander: ['view', 'ack'],
  engineer: ['view', 'ack', 'shelve', 'configure'],
  admin: ['view', 'ack', 'shelve', 'configure', 'admin'],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}
