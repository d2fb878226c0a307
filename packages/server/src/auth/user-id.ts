/** What a user id may be, wherever one comes from: the demo `user_id` header, a JWT `sub`, `keys create --user`. */
export const USER_ID = /^[A-Za-z0-9._@:-]{1,128}$/;

/** USER_ID in words, for messages. */
export const USER_ID_RULE = '1 to 128 letters, digits or . _ @ : -';
