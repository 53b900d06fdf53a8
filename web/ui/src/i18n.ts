// German (default) and English UI text.
const texts = {
  de: {
    title: 'Einsatzraum', login: 'Anmelden', email: 'E-Mail', password: 'Passwort', loginFailed: 'Anmeldung fehlgeschlagen',
    rooms: 'Einsatzräume', noRooms: 'Keine Einsatzräume', back: 'Räume', logout: 'Abmelden', live: 'live', reconnecting: 'verbinde neu …', offline: 'getrennt',
    showAll: 'Alle Kräfte zeigen', addPOI: 'POI setzen', addPOIHint: 'In die Karte klicken, um den POI zu setzen', layers: 'Datenebenen', map: 'Karte',
    shareLocation: 'Standort teilen', sharing: 'Standort wird geteilt', name: 'Name', category: 'Kategorie', description: 'Beschreibung', save: 'Speichern',
    cancel: 'Abbrechen', delete: 'Löschen', send: 'Senden', message: 'Nachricht', file: 'Datei', photo: 'Foto aufnehmen', newChat: 'Neuer Chat',
    members: 'Mitglieder', rights: 'Rechte', create: 'Anlegen', noPositions: 'Keine Positionen', stale: 'veraltet', accuracy: 'Genauigkeit',
    location: 'Standort', poi: 'POI', language: 'English', read: 'lesen', write: 'schreiben', manage: 'verwalten', chats: 'Chats',
    forces: 'Kräfte', searchForces: 'Rufname oder Name suchen', stopSharing: 'Standort nicht mehr teilen', heading: 'Richtung', speed: 'Geschwindigkeit',
    stateLive: 'aktuell', stateStale: 'veraltet', stateOffline: 'keine Position', lastSeen: 'zuletzt',
    confirmDelete: 'Wirklich löschen?', measure: 'Messen', measureHint: 'Zwei Punkte in die Karte klicken', distance: 'Entfernung', bearing: 'Richtung',
    readBy: 'gelesen von', reply: 'Antworten', replyTo: 'Antwort auf', edit: 'Bearbeiten', edited: 'bearbeitet', deleted: 'Nachricht gelöscht',
    priority: 'Priorität', prioNormal: 'normal', prioUrgent: 'dringend', prioFlash: 'Blitz', askAck: 'Quittung anfordern', ackIt: 'Zur Kenntnis genommen',
    acked: 'quittiert', acks: 'Quittungen', pendingAcks: 'Offene Quittungen', notifyOn: 'Benachrichtigungen an', noPending: 'keine offenen',
    emergency: 'NOTRUF', officerDown: 'Beamter am Boden', since: 'seit', alarmNoPosition: 'ohne Position', takenOnBy: 'übernommen von',
    showOnMap: 'Zeigen', takeOn: 'Übernehmen', cancelAlarm: 'Aufheben', holdToSend: 'gedrückt halten', alarmSent: 'Notruf gesendet',
    draw: 'Zeichnen', drawHint: 'Eckpunkte in die Karte klicken, dann „Fertig“', finish: 'Fertig', label: 'Beschriftung', geofence: 'Geofence', noGeofence: 'kein Geofence',
    fence_enter: 'beim Betreten melden', fence_leave: 'beim Verlassen melden', fence_both: 'beim Betreten und Verlassen melden',
    dcat_cordon: 'Absperrung', dcat_sector: 'Einsatzabschnitt', dcat_route: 'Route', dcat_area: 'Bereich', dcat_marker: 'Markierung',
    retry: 'Erneut senden', discard: 'Verwerfen', pending: 'wird gesendet, sobald Netz da ist', me: 'Ich', newMessages: 'Neue Nachrichten', view: 'Ansicht',
    mode_fast: 'oft (in Fahrt)', mode_walking: 'normal', mode_standing: 'selten (steht)', mode_saving: 'Akku sparen',
    err_network: 'Keine Verbindung. Was Sie schreiben, wird gesendet, sobald das Netz zurück ist.', err_error: 'Das hat nicht geklappt.',
    err_rate_limited: 'Zu viele Anfragen. Bitte kurz warten.', err_room_archived: 'Der Einsatzraum ist archiviert und nur lesbar.',
    err_unknown_field: 'Die App ist veraltet. Bitte neu laden.', err_storage_full: 'Der Server hat keinen Speicherplatz mehr. Bitte die Leitstelle informieren.',
    err_file_too_large: 'Die Datei ist zu groß.', err_unsupported_media_type: 'Diese Dateiart wird nicht angenommen.', err_token_revoked: 'Dieses Gerät ist abgemeldet.',
    err_invalid_credentials: 'E-Mail oder Passwort falsch.', err_account_locked: 'Zu viele Fehlversuche. Bitte später erneut.', err_chat_not_found: 'Diesen Chat gibt es nicht (mehr).',
    err_room_not_found: 'Diesen Einsatzraum gibt es nicht (mehr).', err_forbidden: 'Dafür fehlen Ihnen die Rechte.', err_invalid: 'Die Eingabe ist ungültig.',
    err_message_not_found: 'Diese Nachricht gibt es nicht (mehr).', err_last_manager: 'Der Chat braucht mindestens eine verwaltende Person.',
    err_observer_read_only: 'Beobachter können nur lesen.', err_device_pending: 'Dieses Gerät wartet auf Freigabe.', err_invalid_query: 'Bitte mindestens zwei Zeichen eingeben.',
    newRoom: 'Neuer Einsatzraum', archived: 'archiviert', archivedNote: 'Dieser Einsatzraum ist archiviert: nur lesen.', roomSettings: 'Einsatzraum verwalten',
    rename: 'Umbenennen', renameChat: 'Chat umbenennen', archive: 'Archivieren', restore: 'Wiederherstellen', addMember: 'Hinzufügen', addByName: 'Kollegin/Kollegen suchen',
    role: 'Rolle', role_lead: 'Leitung', role_member: 'Mitglied', role_observer: 'Beobachter', notYetRead: 'noch nicht gelesen', loadVideo: 'Video laden',
    searchPlaces: 'Ort, Straße, POI suchen', noHits: 'Nichts gefunden', kind_place: 'Ort', kind_street: 'Straße', kind_address: 'Adresse', kind_poi: 'POI', kind_layer: 'Datenebene',
    fenceLog: 'Geofence-Meldungen', fenceEntered: 'betritt', fenceLeft: 'verlässt', radius: 'Radius', editShape: 'Form ändern', editHint: 'Eckpunkte ziehen, dann speichern',
    replay: 'Bewegungen abspielen', replayWho: 'Wer', from: 'von', to: 'bis', replayTime: 'Zeitpunkt', replaySpeed: 'Geschwindigkeit', replayLoad: 'Laden',
    exportKML: 'Als KML exportieren', replayBadWindow: '„von“ muss vor „bis“ liegen', replayNobody: 'Bitte mindestens eine Person wählen', replayTracks: 'Spuren', replayPoints: 'Punkte', play: 'Abspielen', pause: 'Anhalten',
    register: 'Registrieren', passwordNew: 'Neues Passwort (mind. 10 Zeichen)', registerSent: 'Bitte prüfen Sie Ihr Postfach: der Bestätigungslink ist unterwegs.',
    backToLogin: 'Zur Anmeldung', forgotPassword: 'Passwort vergessen', resetSent: 'Wenn es das Konto gibt, ist ein Link zum Neusetzen unterwegs.',
    confirmed: 'Konto bestätigt. Sie können sich jetzt anmelden.', resetPassword: 'Passwort neu setzen', passwordSet: 'Passwort gespeichert.',
    totpCode: 'Code aus der App (6 Ziffern)', totpScan: 'QR-Code mit der Authenticator-App scannen:', totpSecret: 'oder Schlüssel eingeben', totpConfirm: 'Bestätigen',
    recoveryCodes: 'Wiederherstellungscodes (je einmal gültig, sicher aufbewahren):', continue: 'Weiter', totpSetUp: 'Zweiten Faktor einrichten',
    totpWhy: 'Ein zweiter Faktor (Authenticator-App) schützt das Konto, auch wenn das Passwort bekannt wird.', totpRequired: 'Ihre Rolle verlangt einen zweiten Faktor. Bitte jetzt einrichten.',
    totp: 'Zweiter Faktor', otp: 'Einmal-Code', passwordCurrent: 'Aktuelles Passwort', directoryPassword: 'Das Passwort dieses Kontos verwaltet das Verzeichnis (LDAP).',
    changePassword: 'Passwort ändern', endOtherDevices: 'Alle anderen Geräte abmelden', wiped: 'abgemeldet', wipe: 'Abmelden/Löschen', takDevice: 'TAK-Gerät',
    appPasswords: 'App-Passwort für ATAK', appPasswordOnce: 'App-Passwort (nur jetzt sichtbar):', room: 'Einsatzraum',
    appPasswordHow: 'In ATAK „Use Authentication“ einschalten: Benutzername = E-Mail, Passwort = dieses App-Passwort. Das Gerät tritt dem gewählten Einsatzraum bei.',
    devices: 'Geräte', account: 'Konto', admin: 'Verwaltung', searchUsers: 'Name, Rufname oder E-Mail', state: 'Status',
    state_active: 'aktiv', state_pending: 'unbestätigt', state_disabled: 'gesperrt', enable: 'Entsperren', disable: 'Sperren', resetTOTP: '2. Faktor zurücksetzen',
    err_login_delayed: 'Zu viele Fehlversuche von hier. Bitte kurz warten.', err_account_pending: 'Bitte zuerst die E-Mail-Adresse bestätigen (Link in der E-Mail).',
    err_account_disabled: 'Dieses Konto ist gesperrt.', err_otp_required: 'Bitte den Einmal-Code eingeben.', err_invalid_otp: 'Der Einmal-Code stimmt nicht.',
    err_registration_off: 'Selbstregistrierung ist hier nicht eingeschaltet.', err_mail_off: 'Dieser Server versendet keine E-Mails.', err_invalid_link: 'Dieser Link ist ungültig, benutzt oder abgelaufen.',
    err_wrong_password: 'Das aktuelle Passwort stimmt nicht.', err_email_domain_not_allowed: 'Nur dienstliche E-Mail-Adressen.', err_invalid_password: 'Das Passwort braucht mindestens 10 Zeichen.',
    err_totp_enrolment_required: 'Bitte zuerst den zweiten Faktor einrichten.', err_directory_password: 'Das Passwort wird im Verzeichnis geändert.', err_own_account: 'Das eigene Konto kann nicht gesperrt werden.',
    cat_meeting_point: 'Sammelpunkt', cat_command_post: 'Befehlsstelle', cat_medical: 'Sanität', cat_roadblock: 'Absperrung', cat_hazard: 'Gefahrenstelle', cat_info: 'Information',
  },
  en: {
    title: 'Operation room', login: 'Log in', email: 'Email', password: 'Password', loginFailed: 'Login failed',
    rooms: 'Operation rooms', noRooms: 'No operation rooms', back: 'Rooms', logout: 'Log out', live: 'live', reconnecting: 'reconnecting …', offline: 'offline',
    showAll: 'Show all forces', addPOI: 'Add POI', addPOIHint: 'Click the map to place the POI', layers: 'Data layers', map: 'Map',
    shareLocation: 'Share my location', sharing: 'Sharing location', name: 'Name', category: 'Category', description: 'Description', save: 'Save',
    cancel: 'Cancel', delete: 'Delete', send: 'Send', message: 'Message', file: 'File', photo: 'Take photo', newChat: 'New chat',
    members: 'Members', rights: 'Rights', create: 'Create', noPositions: 'No positions', stale: 'stale', accuracy: 'Accuracy',
    location: 'Location', poi: 'POI', language: 'Deutsch', read: 'read', write: 'write', manage: 'manage', chats: 'Chats',
    forces: 'Forces', searchForces: 'Search call sign or name', stopSharing: 'Stop sharing my location', heading: 'Heading', speed: 'Speed',
    stateLive: 'live', stateStale: 'stale', stateOffline: 'no position', lastSeen: 'last seen',
    confirmDelete: 'Really delete?', measure: 'Measure', measureHint: 'Click two points on the map', distance: 'Distance', bearing: 'Bearing',
    readBy: 'read by', reply: 'Reply', replyTo: 'Reply to', edit: 'Edit', edited: 'edited', deleted: 'Message deleted',
    priority: 'Priority', prioNormal: 'normal', prioUrgent: 'urgent', prioFlash: 'flash', askAck: 'Ask for acknowledgement', ackIt: 'Noted',
    acked: 'acknowledged', acks: 'Acknowledgements', pendingAcks: 'Pending acknowledgements', notifyOn: 'Turn notifications on', noPending: 'none pending',
    emergency: 'EMERGENCY', officerDown: 'Officer down', since: 'since', alarmNoPosition: 'no position', takenOnBy: 'taken on by',
    showOnMap: 'Show', takeOn: 'Take on', cancelAlarm: 'Cancel', holdToSend: 'hold to send', alarmSent: 'Emergency sent',
    draw: 'Draw', drawHint: 'Click the corners on the map, then "Finish"', finish: 'Finish', label: 'Label', geofence: 'Geofence', noGeofence: 'no geofence',
    fence_enter: 'report entering', fence_leave: 'report leaving', fence_both: 'report entering and leaving',
    dcat_cordon: 'Cordon', dcat_sector: 'Sector', dcat_route: 'Route', dcat_area: 'Area', dcat_marker: 'Marker',
    retry: 'Send again', discard: 'Discard', pending: 'sent as soon as there is a network', me: 'Me', newMessages: 'New messages', view: 'View',
    mode_fast: 'often (moving fast)', mode_walking: 'normal', mode_standing: 'rarely (standing)', mode_saving: 'saving battery',
    err_network: 'No connection. What you write is sent as soon as the network is back.', err_error: 'That did not work.',
    err_rate_limited: 'Too many requests. Please wait a moment.', err_room_archived: 'The operation room is archived and read-only.',
    err_unknown_field: 'The app is out of date. Please reload.', err_storage_full: 'The server has no storage left. Please tell the control room.',
    err_file_too_large: 'The file is too large.', err_unsupported_media_type: 'This kind of file is not accepted.', err_token_revoked: 'This device was signed out.',
    err_invalid_credentials: 'Wrong email or password.', err_account_locked: 'Too many failed attempts. Please try again later.', err_chat_not_found: 'This chat does not exist (any more).',
    err_room_not_found: 'This operation room does not exist (any more).', err_forbidden: 'You lack the rights for that.', err_invalid: 'The input is not valid.',
    err_message_not_found: 'This message does not exist (any more).', err_last_manager: 'The chat needs at least one manager.',
    err_observer_read_only: 'Observers can only read.', err_device_pending: 'This device waits for approval.', err_invalid_query: 'Please type at least two characters.',
    newRoom: 'New operation room', archived: 'archived', archivedNote: 'This operation room is archived: read only.', roomSettings: 'Manage the room',
    rename: 'Rename', renameChat: 'Rename chat', archive: 'Archive', restore: 'Restore', addMember: 'Add', addByName: 'Find a colleague',
    role: 'Role', role_lead: 'Lead', role_member: 'Member', role_observer: 'Observer', notYetRead: 'not yet read', loadVideo: 'Load video',
    searchPlaces: 'Search place, street, POI', noHits: 'Nothing found', kind_place: 'Place', kind_street: 'Street', kind_address: 'Address', kind_poi: 'POI', kind_layer: 'Data layer',
    fenceLog: 'Geofence reports', fenceEntered: 'enters', fenceLeft: 'leaves', radius: 'Radius', editShape: 'Change shape', editHint: 'Drag the corners, then save',
    replay: 'Replay movements', replayWho: 'Who', from: 'from', to: 'to', replayTime: 'Time', replaySpeed: 'Speed', replayLoad: 'Load',
    exportKML: 'Export as KML', replayBadWindow: '"from" must be before "to"', replayNobody: 'Please pick at least one person', replayTracks: 'tracks', replayPoints: 'points', play: 'Play', pause: 'Pause',
    register: 'Register', passwordNew: 'New password (10 characters or more)', registerSent: 'Please check your mailbox: the confirmation link is on its way.',
    backToLogin: 'Back to login', forgotPassword: 'Forgot password', resetSent: 'If the account exists, a reset link is on its way.',
    confirmed: 'Account confirmed. You can log in now.', resetPassword: 'Set a new password', passwordSet: 'Password saved.',
    totpCode: 'Code from the app (6 digits)', totpScan: 'Scan the QR code with the authenticator app:', totpSecret: 'or type the key', totpConfirm: 'Confirm',
    recoveryCodes: 'Recovery codes (each works once; keep them safe):', continue: 'Continue', totpSetUp: 'Set up a second factor',
    totpWhy: 'A second factor (authenticator app) protects the account even if the password leaks.', totpRequired: 'Your role needs a second factor. Please set it up now.',
    totp: 'Second factor', otp: 'One-time code', passwordCurrent: 'Current password', directoryPassword: "This account's password is managed by the directory (LDAP).",
    changePassword: 'Change password', endOtherDevices: 'Log all other devices out', wiped: 'logged out', wipe: 'Log out/wipe', takDevice: 'TAK device',
    appPasswords: 'App password for ATAK', appPasswordOnce: 'App password (visible only now):', room: 'Operation room',
    appPasswordHow: 'In ATAK turn on "Use Authentication": user name = email, password = this app password. The device joins the chosen operation room.',
    devices: 'Devices', account: 'Account', admin: 'Administration', searchUsers: 'Name, call sign or email', state: 'State',
    state_active: 'active', state_pending: 'unconfirmed', state_disabled: 'disabled', enable: 'Enable', disable: 'Disable', resetTOTP: 'Reset 2nd factor',
    err_login_delayed: 'Too many failed attempts from here. Please wait a moment.', err_account_pending: 'Please confirm the email address first (link in the mail).',
    err_account_disabled: 'This account is disabled.', err_otp_required: 'Please enter the one-time code.', err_invalid_otp: 'The one-time code is wrong.',
    err_registration_off: 'Self-registration is not on here.', err_mail_off: 'This server sends no mail.', err_invalid_link: 'This link is invalid, used or expired.',
    err_wrong_password: 'The current password is wrong.', err_email_domain_not_allowed: 'Official email addresses only.', err_invalid_password: 'The password needs 10 characters or more.',
    err_totp_enrolment_required: 'Please set up the second factor first.', err_directory_password: 'The password is changed in the directory.', err_own_account: 'You cannot disable your own account.',
    cat_meeting_point: 'Meeting point', cat_command_post: 'Command post', cat_medical: 'Medical', cat_roadblock: 'Roadblock', cat_hazard: 'Hazard', cat_info: 'Information',
  },
};

export type Key = keyof typeof texts.de;
let lang: 'de' | 'en' = (localStorage.getItem('ez.lang') as 'de' | 'en') || 'de';

export function t(k: Key): string { return texts[lang][k]; }
export function currentLang() { return lang; }
export function toggleLang() {
  lang = lang === 'de' ? 'en' : 'de';
  localStorage.setItem('ez.lang', lang);
  document.documentElement.lang = lang;
}

// category names a POI category in the user's language; unknown ones as they are.
export function category(c: string): string {
  const k = `cat_${c}` as Key;
  return k in texts[lang] ? texts[lang][k] : c;
}

// kindName names a geocoding hit's kind (place, street, ...) in the user's language.
export function kindName(k: string): string {
  const key = `kind_${k}` as Key;
  return key in texts[lang] ? t(key) : k;
}

// errorText says a server error code in the user's language: the code's
// own text, else its family (forbidden_..., invalid_..., ..._not_found),
// else a general one. No English server message reaches a German UI.
export function errorText(code: string): string {
  const has = (k: string) => `err_${k}` in texts[lang];
  if (has(code)) return t(`err_${code}` as Key);
  if (code.startsWith('forbidden')) return t('err_forbidden');
  if (code.startsWith('invalid')) return t('err_invalid');
  if (code.endsWith('_not_found')) return t('err_error');
  return t('err_error');
}
