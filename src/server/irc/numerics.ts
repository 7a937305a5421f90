// Numeric replies the gateway sends, by their conventional names. Each names its source: RFC 1459 and
// RFC 2812 §5 for the classic ones; https://modern.ircdocs.horse/#numerics for those the RFCs lack or that
// later servers agreed on; IRCv3 specs for SASL (https://ircv3.net/specs/extensions/sasl-3.1).

/** RFC 2812 §5.1 */
export const RPL_WELCOME = '001';
/** RFC 2812 §5.1 */
export const RPL_YOURHOST = '002';
/** RFC 2812 §5.1 */
export const RPL_CREATED = '003';
/** RFC 2812 §5.1 */
export const RPL_MYINFO = '004';
/** modern.ircdocs.horse "RPL_ISUPPORT" (RFC 2812 gave 005 to RPL_BOUNCE; every server uses it for ISUPPORT) */
export const RPL_ISUPPORT = '005';
/** RFC 2812 §5.1 */
export const RPL_UMODEIS = '221';
/** RFC 1459 §6.2 */
export const RPL_LUSERCLIENT = '251';
/** RFC 1459 §6.2 */
export const RPL_LUSERME = '255';
/** RFC 2812 §5.1 ("Please wait a while and try again"): a request the core refused for rate */
export const RPL_TRYAGAIN = '263';
/** modern.ircdocs.horse "RPL_LOCALUSERS" */
export const RPL_LOCALUSERS = '265';
/** modern.ircdocs.horse "RPL_GLOBALUSERS" */
export const RPL_GLOBALUSERS = '266';
/** RFC 2812 §5.1 */
export const RPL_USERHOST = '302';
/** RFC 2812 §5.1 */
export const RPL_ISON = '303';
/** RFC 1459 §6.2 */
export const RPL_TIME = '391';
/** RFC 2812 §5.1 */
export const RPL_AWAY = '301';
/** RFC 1459 §6.2 */
export const RPL_UNAWAY = '305';
/** RFC 1459 §6.2 */
export const RPL_NOWAWAY = '306';
/** RFC 1459 §6.2 */
export const RPL_WHOISUSER = '311';
/** RFC 1459 §6.2 */
export const RPL_WHOISSERVER = '312';
/** RFC 1459 §6.2 */
export const RPL_WHOISOPERATOR = '313';
/** RFC 1459 §6.2 */
export const RPL_WHOWASUSER = '314';
/** RFC 1459 §6.2 */
export const RPL_ENDOFWHOWAS = '369';
/** RFC 1459 §6.2 */
export const RPL_ENDOFWHO = '315';
/** RFC 1459 §6.2 */
export const RPL_WHOISIDLE = '317';
/** RFC 1459 §6.2 */
export const RPL_ENDOFWHOIS = '318';
/** RFC 1459 §6.2 */
export const RPL_WHOISCHANNELS = '319';
/** RFC 2812 §5.1 */
export const RPL_LISTSTART = '321';
/** RFC 1459 §6.2 */
export const RPL_LIST = '322';
/** RFC 1459 §6.2 */
export const RPL_LISTEND = '323';
/** RFC 1459 §6.2 */
export const RPL_CHANNELMODEIS = '324';
/** modern.ircdocs.horse "RPL_CREATIONTIME" */
export const RPL_CREATIONTIME = '329';
/** modern.ircdocs.horse "RPL_WHOISACCOUNT" */
export const RPL_WHOISACCOUNT = '330';
/** RFC 1459 §6.2 */
export const RPL_NOTOPIC = '331';
/** RFC 1459 §6.2 */
export const RPL_TOPIC = '332';
/** modern.ircdocs.horse "RPL_TOPICWHOTIME" */
export const RPL_TOPICWHOTIME = '333';
/** modern.ircdocs.horse "RPL_INVITELIST" */
export const RPL_INVITELIST = '336';
/** modern.ircdocs.horse "RPL_ENDOFINVITELIST" */
export const RPL_ENDOFINVITELIST = '337';
/** RFC 1459 §6.2 (modern.ircdocs.horse's parameter order: nick, then channel) */
export const RPL_INVITING = '341';
/** RFC 1459 §6.2 */
export const RPL_WHOREPLY = '352';
/** RFC 1459 §6.2 */
export const RPL_NAMREPLY = '353';
/** RFC 1459 §6.2 */
export const RPL_ENDOFNAMES = '366';
/** RFC 1459 §6.2 */
export const RPL_MOTD = '372';
/** RFC 1459 §6.2 */
export const RPL_MOTDSTART = '375';
/** RFC 1459 §6.2 */
export const RPL_ENDOFMOTD = '376';
/** RFC 1459 §6.2 */
export const RPL_INFO = '371';
/** RFC 1459 §6.2 */
export const RPL_ENDOFINFO = '374';
/** RFC 1459 §6.2 */
export const RPL_YOUREOPER = '381';

/** RFC 1459 §6.1 */
export const ERR_NOSUCHNICK = '401';
/** RFC 1459 §6.1 */
export const ERR_WASNOSUCHNICK = '406';
/** RFC 1459 §6.1 */
export const ERR_NOSUCHCHANNEL = '403';
/** RFC 1459 §6.1 */
export const ERR_CANNOTSENDTOCHAN = '404';
/** RFC 1459 §6.1 */
export const ERR_TOOMANYCHANNELS = '405';
/** RFC 1459 §6.1 */
export const ERR_NORECIPIENT = '411';
/** RFC 1459 §6.1 */
export const ERR_NOTEXTTOSEND = '412';
/** modern.ircdocs.horse "ERR_INPUTTOOLONG" (a line over 512 bytes) */
export const ERR_INPUTTOOLONG = '417';
/** RFC 1459 §6.1 */
export const ERR_UNKNOWNCOMMAND = '421';
/** RFC 1459 §6.1 */
export const ERR_NOMOTD = '422';
/** RFC 1459 §6.1 */
export const ERR_NONICKNAMEGIVEN = '431';
/** RFC 1459 §6.1 */
export const ERR_ERRONEUSNICKNAME = '432';
/** RFC 1459 §6.1 */
export const ERR_NICKNAMEINUSE = '433';
/** RFC 1459 §6.1 */
export const ERR_USERNOTINCHANNEL = '441';
/** RFC 1459 §6.1 */
export const ERR_NOTONCHANNEL = '442';
/** RFC 1459 §6.1 */
export const ERR_USERONCHANNEL = '443';
/** RFC 1459 §6.1 */
export const ERR_NOTREGISTERED = '451';
/** RFC 1459 §6.1 */
export const ERR_NEEDMOREPARAMS = '461';
/** RFC 1459 §6.1 */
export const ERR_ALREADYREGISTERED = '462';
/** RFC 1459 §6.1 */
export const ERR_PASSWDMISMATCH = '464';
/** RFC 1459 §6.1 */
export const ERR_NOPRIVILEGES = '481';
/** RFC 1459 §6.1 */
export const ERR_NOOPERHOST = '491';
/** RFC 1459 §6.1 */
export const ERR_UNKNOWNMODE = '472';
/** RFC 1459 §6.1 */
export const ERR_BANNEDFROMCHAN = '474';
/** RFC 1459 §6.1 */
export const ERR_CHANOPRIVSNEEDED = '482';
/** RFC 1459 §6.1 */
export const ERR_UMODEUNKNOWNFLAG = '501';
/** RFC 1459 §6.1 */
export const ERR_USERSDONTMATCH = '502';

/** IRCv3 sasl-3.1: "You are now logged in as …" */
export const RPL_LOGGEDIN = '900';
/** IRCv3 sasl-3.1 */
export const RPL_SASLSUCCESS = '903';
/** IRCv3 sasl-3.1 */
export const ERR_SASLFAIL = '904';
/** IRCv3 sasl-3.1 */
export const ERR_SASLTOOLONG = '905';
/** IRCv3 sasl-3.1 */
export const ERR_SASLABORTED = '906';
/** IRCv3 sasl-3.1 */
export const ERR_SASLALREADY = '907';
/** IRCv3 sasl-3.1: the mechanisms this server offers */
export const RPL_SASLMECHS = '908';
