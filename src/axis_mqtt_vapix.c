
/*
 * The camera's virtual input CGIs (see the header).  An Axis camera
 * answers them with HTTP 200 and XML in both cases:
 *
 *   <VirtualInputResponse ...><Success><ActivateSuccess>
 *     <StateChanged>true</StateChanged></ActivateSuccess></Success>
 *   <VirtualInputResponse ...><Error><GeneralError><ErrorCode>..
 *     </ErrorCode><ErrorDescription>..</ErrorDescription>..
 */

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "axis_mqtt_onvif.h"
#include "axis_mqtt_vapix.h"


static void axis_mqtt_vapix_error(xmlNode *error, char *buf, size_t size);


void
axis_mqtt_vapix_path(int activate, int port, char *buf, size_t size)
{
    snprintf(buf, size,
             "/axis-cgi/virtualinput/%s.cgi?schemaversion=1&port=%d",
             activate ? "activate" : "deactivate", port);
}


int
axis_mqtt_vapix_answer(const char *xml, size_t len, int *changed, char *buf,
    size_t size)
{
    int       rc;
    xmlDoc   *doc;
    xmlNode  *root, *node, *child;
    xmlChar  *text;

    *changed = 0;

    root = axis_mqtt_xml_read(xml, len, &doc, buf, size);
    if (root == NULL) {
        return -1;
    }

    rc = -1;

    if (xmlStrcmp(root->name, (const xmlChar *) "VirtualInputResponse")
        != 0)
    {
        snprintf(buf, size, "not a VirtualInputResponse");

    } else if ((node = axis_mqtt_xml_child(root, "Success")) != NULL) {
        /* ActivateSuccess or DeactivateSuccess, with StateChanged */
        child = xmlFirstElementChild(node);

        text = child ? axis_mqtt_xml_text(child, "StateChanged") : NULL;
        *changed = text != NULL
                   && xmlStrcmp(text, (const xmlChar *) "true") == 0;
        xmlFree(text);
        rc = 0;

    } else if ((node = axis_mqtt_xml_child(root, "Error")) != NULL) {
        axis_mqtt_vapix_error(node, buf, size);

    } else {
        snprintf(buf, size, "a VirtualInputResponse with neither Success "
                 "nor Error");
    }

    xmlFreeDoc(doc);

    return rc;
}


/* "the camera refused: Invalid port (error 10)" */

static void
axis_mqtt_vapix_error(xmlNode *error, char *buf, size_t size)
{
    xmlNode  *general;
    xmlChar  *code, *description;

    general = axis_mqtt_xml_child(error, "GeneralError");

    code = general ? axis_mqtt_xml_text(general, "ErrorCode") : NULL;
    description = general ? axis_mqtt_xml_text(general, "ErrorDescription")
                          : NULL;

    /* camera text: the first line of each */
    if (description != NULL) {
        description[strcspn((char *) description, "\r\n")] = '\0';
    }

    if (code != NULL) {
        code[strcspn((char *) code, "\r\n")] = '\0';
    }

    snprintf(buf, size, "the camera refused: %.120s (error %.16s)",
             description ? (const char *) description : "no description",
             code ? (const char *) code : "unknown");

    xmlFree(code);
    xmlFree(description);
}
